@phase4
Feature: Every performance target holds in the production environment
  Phase 4 validates every performance target of the WS4-P5 baseline in production: a production
  market (about ten times the normal day's order flow, over 500 market data updates a second across
  5 symbols) and the system configured by its production profile, its compute time charged.

  @criterion:P4-PERF-TARGETS
  Scenario: Every baseline performance target is met in production
    Given a production market in 5 symbols
    And the trading system trades on it configured by the production profile, its measured compute time charged to simulated time
    When the market trades for 300 seconds
    Then these figures meet their targets:
      | figure                                        | bound    | target          | least   | samples              |
      | market data message rate                      | at least | 500 messages/s  | 300     | simulated seconds    |
      | in-session market data throughput             | at least | 33481 updates/s | 100,000 | market data updates  |
      | in-session market data p99 processing latency | at most  | 0.030 ms        | 100,000 | market data updates  |
      | decision-to-acknowledgement p99 latency       | at most  | 15.5 ms         | 1,000   | acknowledged orders  |
      | connection reuse                              | at least | 85%             | 1,000   | order submissions    |
      | cache hit rate                                | at least | 95%             | 10,000  | cache reads          |
      | system error rate                             | at most  | 0%              | 1,000   | orders               |
