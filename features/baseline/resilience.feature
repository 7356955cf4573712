@phase2 @baseline
Feature: The integration layer's stability and recovery baseline is maintained
  WS4-P5 recorded 93.2% stability for the integration layer and an 88% automatic recovery rate.
  Here faults are injected on purpose and the system is watched while it copes.

  Background:
    Given a normal market in 3 symbols
    And the trading system trades on it with its default configuration
    And this fault plan:
      | at  | fault          | parameters                 |
      | 30  | disconnect     | account=ALLUSE             |
      | 60  | drop_feed      | count=20                   |
      | 90  | stale_feed     | duration=3                 |
      | 120 | latency_spike  | factor=10, duration=5      |
      | 150 | reject_storm   | duration=2                 |
      | 180 | crash          | duration=2                 |
      | 210 | slow_acks      | extra=0.05, duration=5     |
    When the market trades for 260 seconds

  @criterion:BASE-STABILITY
  Scenario: Components are healthy nearly all of the time despite the faults
    Then the share of time all components are healthy is at least 93.2%
    And the health checks saw at least one component unhealthy during the faults

  @criterion:BASE-RECOVERY-RATE
  Scenario: The system recovers from the injected faults without an operator
    Then the automatic recovery rate is at least 88%
    And the system's orders, fills and positions reconcile exactly with the exchange
