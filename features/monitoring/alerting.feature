@phase2 @pending
Feature: The Alerting System's six rules fire when, and only when, something is wrong
  The WS4-P5 Alerting System has 6 intelligent rules. Each rule watches one condition; when it holds for
  the rule's hold time the alert fires with its severity, and the system performs the rule's automatic
  response. On a healthy session no rule fires. Thresholds come from the production configuration.
  (Pending: the alerting system does not exist yet; these scenarios are not run until it does.)

  @criterion:BASE-ALERT-RULES
  Scenario Outline: The <rule> alert fires when <condition> is injected
    Given a live simulated session in a normal market of 3 symbols with monitoring on
    And the exchange simulator injects <condition>
    When the session trades for 120 simulated seconds
    Then the <rule> alert fires once with severity <severity>
    And it resolves after the condition ends

    Examples:
      | rule                      | condition                                        | severity |
      | order latency             | a tenfold latency spike on order entry for 20 s  | critical |
      | order error rate          | a storm of refused orders for 10 s               | critical |
      | market data staleness     | a withheld market data feed for 10 s             | warning  |
      | venue disconnect          | a dropped order-entry session                    | critical |
      | risk limit use            | a position driven to 90% of its limit            | warning  |
      | queue growth              | market data arriving faster than it is processed | warning  |

  @criterion:BASE-ALERT-RULES
  Scenario: No alert fires on a healthy session
    Given a live simulated session in a calm market of 3 symbols with monitoring on
    When the session trades for 300 simulated seconds without any injected fault
    Then none of the 6 alert rules fired

  @criterion:P2-ALERT-RESPONSE
  Scenario Outline: The system responds to the <rule> alert by itself
    Given a live simulated session in a normal market of 3 symbols with monitoring on
    And the exchange simulator injects <condition>
    When the session trades for 120 simulated seconds
    Then the <rule> alert fires
    And the system <response>, as the exchange's records show

    Examples:
      | rule                  | condition                                        | response                                      |
      | order latency         | a tenfold latency spike on order entry for 20 s  | throttles its new orders                      |
      | order error rate      | a storm of refused orders for 10 s               | pauses its strategy until orders are accepted |
      | market data staleness | a withheld market data feed for 10 s             | asks the exchange for a fresh snapshot        |
      | venue disconnect      | a dropped order-entry session                    | logs on again                                 |
      | risk limit use        | a position driven to 90% of its limit            | cancels its open orders in that symbol        |

  @criterion:P3-MONITORING-CONFIG
  Scenario: The alert thresholds come from the production configuration
    Given the production profile sets the order latency alert at 8 ms held for 5 seconds
    And a live simulated session in a normal market of 3 symbols with that profile
    And the exchange simulator adds 6 ms to every order acknowledgement
    When the session trades for 60 simulated seconds
    Then the order latency alert fires
    When the profile's order latency threshold is raised to 12 ms and the session is run again
    Then the order latency alert does not fire
