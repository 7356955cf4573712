@phase2
Feature: The Alerting System's six rules fire when, and only when, something is wrong
  The WS4-P5 Alerting System has 6 intelligent rules. Each rule watches one condition; when it has held
  for the rule's hold time the alert fires once with its severity, and the system performs the rule's
  automatic response by itself. When the condition is over the alert resolves. On a healthy session no
  rule fires. Thresholds and hold times come from the system's configuration, the production profile
  among them. Conditions are brought about through the exchange simulator, except the risk rule's: the
  strategy often holds 500 or more in a symbol, so a position limit of 600 takes it past 80% of it.

  @criterion:BASE-ALERT-RULES
  Scenario Outline: The <rule> alert fires when <condition> comes about, and resolves after it
    Given a live simulated session in a normal market of 3 symbols with monitoring on
    And the exchange simulator brings about <condition>
    When the session trades for 120 simulated seconds with its alerts watched
    Then the <rule> alert fires with severity <severity> once for each time the condition held
    And it resolves once the condition has ended

    Examples:
      | rule                  | condition                                                              | severity |
      | order latency         | acknowledgements held up by 60 ms for 20 s                             | critical |
      | order error rate      | a storm of refused orders for 10 s                                     | critical |
      | market data staleness | a withheld market data feed for 10 s                                   | warning  |
      | venue disconnect      | a gateway crash of 10 s                                                | critical |
      | risk limit use        | a position limit of 600, below what the strategy often holds           | warning  |
      | market data lag       | a hundredfold delay on the market data link for 20 s                   | warning  |

  @criterion:BASE-ALERT-RULES
  Scenario: No alert fires on a healthy session
    Given a live simulated session in a normal market of 3 symbols with monitoring on
    When the session trades for 300 simulated seconds with its alerts watched
    Then none of the 6 alert rules fired

  @criterion:P2-ALERT-RESPONSE
  Scenario Outline: The system responds to the <rule> alert by itself
    Given a live simulated session in a normal market of 3 symbols with monitoring on
    And the exchange simulator brings about <condition>
    When the session trades for 120 simulated seconds with its alerts watched
    Then when the <rule> alert fires the system <response>

    Examples:
      | rule                  | condition                                                              | response                                                      |
      | order latency         | acknowledgements held up by 60 ms for 20 s                             | throttles its new orders                                      |
      | order error rate      | a storm of refused orders for 10 s                                     | pauses its strategy until orders are accepted again           |
      | market data staleness | a withheld market data feed for 10 s                                   | asks the exchange for a fresh snapshot of every stale symbol  |
      | venue disconnect      | a gateway crash of 10 s                                                | keeps logging its pool on at every evaluation, whatever its backoff |
      | risk limit use        | a position limit of 600, below what the strategy often holds           | cancels every order it had open                               |
      | market data lag       | a hundredfold delay on the market data link for 20 s                   | throttles its new orders                                      |

  @criterion:P3-MONITORING-CONFIG
  Scenario: Raising the order latency threshold in the production profile keeps the alert silent
    Given the production profile sets the order latency alert at 15.5 ms held for 3 seconds
    And the exchange simulator holds every acknowledgement up by 20 ms for 30 seconds
    When a session configured from that profile trades for 90 simulated seconds
    Then the order latency alert fires
    When the profile's order latency threshold is raised to 40 ms and the same session trades for 90 simulated seconds
    Then the order latency alert does not fire
