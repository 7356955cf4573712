@phase2 @baseline
Feature: The integration layer's stability and recovery baseline is maintained
  WS4-P5 recorded 93.2% stability for the integration layer and an 88% automatic recovery rate.
  Here faults are injected on purpose and the system is watched while it copes. A fault counts
  towards recovery only when its effect on the system was seen (a session dropped, a gap or a
  silence in its feed, an order refused or held up).

  Background:
    Given a normal market in 3 symbols
    And the trading system trades on it with its default configuration
    And this fault plan:
      | at  | fault         | account | count | duration | factor | extra |
      | 30  | disconnect    | ALLUSE  |       |          |        |       |
      | 60  | drop_feed     |         | 20    |          |        |       |
      | 90  | stale_feed    |         |       | 3        |        |       |
      | 120 | latency_spike |         |       | 5        | 10     |       |
      | 150 | reject_storm  |         |       | 2        |        |       |
      | 180 | crash         |         |       | 2        |        |       |
      | 210 | slow_acks     |         |       | 5        |        | 0.05  |
    When the market trades for 260 seconds

  @criterion:BASE-STABILITY
  Scenario: Components are healthy nearly all of the time despite the faults
    Then the share of time all components are healthy is at least 93.2%, over at least 1,000 health polls
    And the health checks saw at least one component unhealthy during the faults
    And every health report followed what the exchange showed, over at least 1,000 health polls

  @criterion:BASE-RECOVERY-RATE
  Scenario: The system recovers from the injected faults without an operator
    Then the automatic recovery rate is at least 88%, over at least 5 faults with an observed effect
    And while each fault lasted the system sent no order on a market it could not see, and lost none
    And the system's orders, fills and positions reconcile exactly with the exchange
