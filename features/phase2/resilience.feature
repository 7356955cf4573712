@phase2
Feature: Errors in one place do not corrupt state anywhere else
  Disconnects, rejects, stale or gapped market data and slow responses are injected while the
  system trades. Whatever happens, its orders, fills, positions and cash must agree with the
  exchange's records afterwards, and it must find its way back without an operator.

  @criterion:P2-ERROR-HANDLING
  Scenario Outline: After <fault> the system's books agree exactly with the exchange
    Given a normal market in 3 symbols
    And the trading system trades on it with its default configuration
    And this fault plan:
      | at | fault   | parameters   |
      | 20 | <fault> | <parameters> |
      | 50 | <fault> | <parameters> |
    When the market trades for 90 seconds
    Then the system's orders, fills, positions and cash reconcile exactly with the exchange
    And every order the system sent reached a final or open state the exchange agrees with

    Examples:
      | fault         | parameters              |
      | disconnect    | account=ALLUSE          |
      | reject_storm  | duration=3              |
      | stale_feed    | duration=3              |
      | drop_feed     | count=30                |
      | slow_acks     | extra=0.2, duration=5   |
      | crash         | duration=3              |

  @criterion:SYS-ERROR-RECOVERY
  Scenario: A campaign of fifty faults of seven kinds, recovered without an operator
    Given a normal market in 3 symbols
    And the trading system trades on it with its default configuration
    And a fault campaign of 56 faults of 7 kinds, one every 12 seconds
    When the market trades for 700 seconds
    Then at least 50 faults of at least 5 kinds were injected
    And the automatic recovery rate is at least 90%
    And the system's orders, fills, positions and cash reconcile exactly with the exchange
