@phase2
Feature: The market integration workflow works end to end
  A quote from the exchange leads to a decision, the decision to an order, the order to a fill at
  the exchange, the fill to a position and P&L in the ledger, and the monitoring shows each step.

  @smoke @criterion:P2-WORKFLOW
  Scenario: A quote becomes a position and P&L, and the metrics show every step
    Given a normal market in 2 symbols
    And the trading system trades on it with its default configuration
    When the market trades for 60 seconds
    Then some fill at the exchange can be traced back through its order and decision to a quote from the feed
    And the ledger's position and P&L for that symbol follow from the exchange's fills
    And the metrics show quotes received, decisions taken, orders sent, fills booked and positions held
    And the system's orders, fills and positions reconcile exactly with the exchange

  @criterion:P2-OPTIMIZERS-TOGETHER
  Scenario: The session pool and the market data cache meet their figures at the same time
    Given a normal market in 3 symbols
    And the trading system trades on it with its measured compute time charged to simulated time
    When the market trades for 300 seconds
    Then the connection reuse is at least 85%, over at least 300 order submissions
    And the cache hit rate is at least 95%, over at least 1,000 cache reads
    And the decision-to-acknowledgement p99 latency is at most 15.5 ms, over at least 300 acknowledged orders
    And every component's self-validation finds no problems

  @criterion:P2-OPTIMIZERS-TOGETHER
  Scenario: The monitoring framework and the analytics engine work alongside the other optimizers
    Given a normal market in 3 symbols
    And the trading system trades on it with its measured compute time charged to simulated time
    When the market trades for 300 seconds
    Then the monitoring framework has collected at least 228 metric series that changed during the session
    And the analytics engine has graded the session from the metrics the monitoring framework collected

  @criterion:P2-PERF-MAINTAINED
  Scenario: The baseline figures hold with the whole system running
    Given a normal market in 5 symbols
    And the trading system trades on it with its measured compute time charged to simulated time
    When the market trades for 300 seconds
    Then the in-session market data throughput is at least 33,481 updates/s, over at least 10,000 market data updates
    And the in-session market data p99 processing latency is at most 0.030 ms, over at least 10,000 market data updates
    And the decision-to-acknowledgement p99 latency is at most 15.5 ms, over at least 300 acknowledged orders
    And the system error rate is at most 0%, over at least 300 orders
    And the connection reuse is at least 85%, over at least 300 order submissions
    And the cache hit rate is at least 95%, over at least 1,000 cache reads

  @criterion:P2-LOAD-CONDITIONS
  Scenario Outline: Targets hold at <load> load
    Given a normal market in 3 symbols at <load> load
    And the trading system trades on it with its measured compute time charged to simulated time
    When the market trades for <seconds> seconds
    Then the market data message rate is at least <rate> messages/s, over at least 30 simulated seconds
    And the in-session market data p99 processing latency is at most 0.030 ms, over at least 1,000 market data updates
    And the decision-to-acknowledgement p99 latency is at most 15.5 ms, over at least 100 acknowledged orders
    And the system error rate is at most 0%, over at least 100 orders
    And the cache hit rate is at least 95%, over at least 1,000 cache reads

    Examples:
      | load   | seconds | rate |
      | light  | 300     | 10   |
      | normal | 180     | 20   |
      | peak   | 120     | 60   |

    @slow
    Examples: at the plan's market data rate of 33,481 updates per second
      | load   | seconds | rate   |
      | stress | 35      | 33,481 |
