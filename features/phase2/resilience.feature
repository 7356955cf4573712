@phase2
Feature: Errors in one place do not corrupt state anywhere else
  Disconnects, rejects, stale or gapped market data and slow responses are injected while the
  system trades. Whatever happens, its orders, fills, positions and cash must agree with the
  exchange's records afterwards, and it must find its way back without an operator. While a fault
  lasts, it must not trade what it cannot see, nor lose an order.

  @criterion:P2-ERROR-HANDLING
  Scenario Outline: After <fault> faults the system's books agree exactly with the exchange
    Given a normal market in 3 symbols
    And the trading system trades on it with its default configuration
    And this fault plan:
      | at | fault   | account   | count   | duration   | extra   |
      | 20 | <fault> | <account> | <count> | <duration> | <extra> |
      | 50 | <fault> | <account> | <count> | <duration> | <extra> |
    When the market trades for 90 seconds
    Then at least one of the faults had an effect the system had to cope with
    And while each fault lasted the system sent no order on a market it could not see, and lost none
    And every health report followed what the exchange showed, over at least 300 health polls
    And the system's orders, fills, positions and cash reconcile exactly with the exchange
    And every order the system sent reached a final or open state the exchange agrees with

    Examples:
      | fault        | account | count | duration | extra |
      | disconnect   | ALLUSE  |       |          |       |
      | reject_storm |         |       | 3        |       |
      | stale_feed   |         |       | 3        |       |
      | drop_feed    |         | 30    |          |       |
      | slow_acks    |         |       | 10       | 0.2   |
      | crash        |         |       | 3        |       |

  @criterion:P2-ERROR-HANDLING
  Scenario: A session coming back sends nothing again that another session still carries
    Given a normal market in 1 symbol at stress load
    And the trading system trades on it with its measured compute time charged to simulated time
    And this fault plan:
      | at  | fault      | account |
      | 0.5 | disconnect | ALLUSE  |
      | 1   | disconnect | ALLUSE  |
    When the market trades for 2 seconds
    Then the system sent no request again while the session that carried it was up, over at least 6 logons
    And the system's orders, fills, positions and cash reconcile exactly with the exchange
    And every order the system sent reached a final or open state the exchange agrees with

  @criterion:SYS-ERROR-RECOVERY
  Scenario: A campaign of 56 faults of 7 kinds, recovered without an operator
    Given a normal market in 3 symbols
    And the trading system trades on it with its default configuration
    And a fault campaign of 56 faults of 7 kinds, one every 12 seconds
    When the market trades for 700 seconds
    Then 56 faults of 7 kinds were injected
    And the automatic recovery rate is at least 90%, over at least 40 faults with an observed effect
    And while each fault lasted the system sent no order on a market it could not see, and lost none
    And the system's orders, fills, positions and cash reconcile exactly with the exchange
