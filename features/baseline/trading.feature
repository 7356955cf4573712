@phase2 @baseline
Feature: The WS4-P5 trading baseline is maintained
  WS4-P5 left the trading system with a 0% error rate and 15.5 ms order latency, 85% connection
  reuse and a 95% cache hit rate. The certification measures each again on simulated market flow,
  from outside the system: the venue's answers, the gateway's records and the exchange's books.

  @criterion:BASE-TRADING-ERRORS @slow
  Scenario: Ten thousand orders through the execution engine produce no system errors
    Given a normal market in 5 symbols
    And the trading system trades on it with its default configuration
    When the trading system has sent 10,000 orders, within 5,400 simulated seconds
    Then the system error rate is at most 0%, over at least 10,000 orders
    And an order above the risk limit is refused by risk and not counted as a system error
    And the system's orders, fills and positions reconcile exactly with the exchange

  @criterion:BASE-TRADING-ERRORS
  Scenario: Risk refuses orders and amendments above its limits, and amendments reach the exchange
    Given a normal market in 3 symbols
    And the trading system trades on it with its default configuration
    When the market trades for 600 seconds
    And the market trades on until the system has sent 10 amendments, within 6,000 more seconds
    Then the system error rate is at most 0%, over at least 500 orders
    And an order above the risk limit is refused by risk and not counted as a system error
    And an amendment above the risk limit is refused by risk and never reaches the exchange
    And the exchange received at least 10 amendments from the system and answered each

  @criterion:BASE-TRADING-LATENCY
  Scenario: Orders are acknowledged within 15.5 ms of the decision, compute time included
    Given a normal market in 5 symbols
    And the trading system trades on it with its measured compute time charged to simulated time
    When the market trades for 600 seconds
    Then the decision-to-acknowledgement p95 latency is at most 15.5 ms, over at least 1,000 acknowledged orders
    And the decision-to-acknowledgement p99 latency is at most 15.5 ms, over at least 1,000 acknowledged orders

  @criterion:BASE-CONNECTION-REUSE
  Scenario: The session pool reuses open exchange sessions
    Given a normal market in 3 symbols
    And the trading system trades on it with its default configuration
    And this fault plan:
      | at  | fault      | account |
      | 60  | disconnect | ALLUSE  |
      | 150 | disconnect | ALLUSE  |
    When the market trades for 240 seconds
    Then the connection reuse is at least 85%, over at least 250 order submissions

  @criterion:BASE-CACHE-HIT
  Scenario: The trading components read market data through the cache and mostly hit it
    Given a normal market in 3 symbols
    And the trading system trades on it with its default configuration
    When the market trades for 120 seconds
    Then the cache hit rate is at least 95%, over at least 1,000 cache reads
    And no quote the cache served differed from the market data system's book, over at least 1,000 quotes served

  @smoke @criterion:BASE-CONNECTION-REUSE @criterion:P3-SECURE-BROKER
  Scenario: The exchange accepts every logon of a correctly configured system
    Given a normal market in 3 symbols
    And the trading system trades on it with its default configuration
    And this fault plan:
      | at | fault      | account |
      | 10 | disconnect | ALLUSE  |
      | 20 | disconnect | ALLUSE  |
      | 30 | disconnect | ALLUSE  |
    When the market trades for 40 seconds
    Then the exchange accepted at least 8 logons of the system's account and refused none
