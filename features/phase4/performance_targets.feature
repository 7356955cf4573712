@phase4 @pending
Feature: Every performance target holds in the production environment
  Phase 4 validates every performance target of the WS4-P5 baseline in the production profile, not
  only in the development profiles the baseline features use.
  (Pending: the simulator has no production market profile yet; these rows are not run until it has.)

  @criterion:P4-PERF-TARGETS
  Scenario Outline: The <figure> meets its target in the production market profile
    Given the trading system trades in the production market profile with its compute time charged
    When it has traded for 300 simulated seconds
    Then in the production profile the <figure> is <bound> <target>

    Examples:
      | figure                                  | bound    | target          |
      | system error rate                       | at most  | 0%              |
      | decision-to-acknowledgement p99 latency | at most  | 15.5 ms         |
      | market data throughput                  | at least | 33481 updates/s |
      | market data p99 processing latency      | at most  | 0.030 ms        |
      | connection reuse                        | at least | 85%             |
      | cache hit rate                          | at least | 95%             |
