@phase2 @baseline
Feature: The WS4-P5 trading baseline is maintained
  WS4-P5 left the trading system with a 0% error rate and 15.5 ms order latency, 85% connection
  reuse and a 95% cache hit rate. The certification measures each again on simulated market flow.

  @criterion:BASE-TRADING-ERRORS
  Scenario: Ten thousand orders through the execution engine produce no system errors
    Given a normal market in 5 symbols
    And the trading system trades on it with its default configuration
    When the trading system has sent 10000 orders
    Then the system error rate is at most 0%
    And risk rejects are counted apart from system errors
    And the system's orders, fills and positions reconcile exactly with the exchange

  @criterion:BASE-TRADING-LATENCY
  Scenario: Orders are acknowledged within 15.5 ms of the decision, compute time included
    Given a normal market in 5 symbols
    And the trading system trades on it with its measured compute time charged to simulated time
    When the market trades for 300 seconds
    Then the decision-to-acknowledgement p95 latency is at most 15.5 ms
    And the decision-to-acknowledgement p99 latency is at most 15.5 ms

  @criterion:BASE-CONNECTION-REUSE
  Scenario: The session pool reuses open exchange sessions
    Given a normal market in 3 symbols
    And the trading system trades on it with its default configuration
    And this fault plan:
      | at  | fault      | parameters |
      | 60  | disconnect | account=ALLUSE |
      | 150 | disconnect | account=ALLUSE |
    When the market trades for 240 seconds
    Then the connection reuse is at least 85%

  @criterion:BASE-CACHE-HIT
  Scenario: The trading components read market data through the cache and mostly hit it
    Given a normal market in 3 symbols
    And the trading system trades on it with its default configuration
    When the market trades for 120 seconds
    Then the cache hit rate is at least 95%
    And no quote older than the market data system's book was served from the cache
