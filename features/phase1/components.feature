@phase1
Feature: Component integration: every optimization component is available and speaks one API
  Phase 1 of the plan makes the four optimization components accessible and functional (the
  Trading System Optimizer, the Market Data Enhancer, the Advanced Monitoring Framework and the
  Real-time Analytics Engine) and aligns their APIs, so that the orchestrator, the health checks
  and this certification treat them alike.

  @criterion:OBJ-AVAILABILITY @criterion:P1-AVAILABILITY
  Scenario Outline: The <component> is accessible and functional
    Given a normal market in 2 symbols
    When the <component> is imported by its plan name and started with the trading system
    Then the running <component> is the component the plan names
    And after 10 simulated seconds the <component> reports itself healthy and busy
    And the <component> stops cleanly when the trading system stops

    Examples:
      | component                |
      | Trading System Optimizer      |
      | Market Data Enhancer          |
      | Advanced Monitoring Framework |
      | Real-time Analytics Engine    |

  @smoke @criterion:FIX-API-ALIGNMENT @criterion:P1-API-CONSISTENCY
  Scenario: Every component of the running system answers the same component API
    Given a normal market in 2 symbols
    And the trading system trades on it with its default configuration
    When the market trades for 10 seconds
    Then every component offers start, stop, health, metrics and validate, and each call answers in kind
    And every component's self-validation finds no problems

  @criterion:P1-BASIC-FUNCTION
  Scenario: Each optimization component does its own job on simulator data
    Given a normal market in 2 symbols
    And the trading system trades on it with its default configuration
    When the market trades for 30 seconds
    Then the exchange received orders from the system over a session it had used before
    And the Market Data Enhancer has served quotes equal to the market data system's book
    And the Performance Analyzer's decision-to-acknowledgement latency agrees with the latency seen at the venue

  @criterion:P1-BASIC-FUNCTION
  Scenario: The monitoring framework records metrics and the analytics engine grades a session
    Given a normal market in 2 symbols
    And the trading system trades on it with its default configuration
    When the market trades for 60 seconds
    Then the monitoring framework has recorded the orders the exchange received
    And the analytics engine has graded the session

  @criterion:P1-COMPONENT-PERFORMANCE
  Scenario Outline: The <component> meets its baseline figure in isolation
    When the <component> alone is measured on simulator data
    Then its <figure> is <bound> <target>, over at least <least> <samples>

    Examples:
      | component                | figure                 | bound    | target          | least   | samples              |
      | Market Data System       | throughput             | at least | 33481 updates/s | 100,000 | market data updates  |
      | Market Data System       | p99 processing latency | at most  | 0.030 ms        | 100,000 | market data updates  |
      | Market Data Enhancer     | cache hit rate         | at least | 95%             | 1,000   | cache reads          |
      | Trading System Optimizer | connection reuse       | at least | 85%             | 100     | order submissions    |
      | Trading Execution Engine | system error rate      | at most  | 0%              | 100     | orders               |

  @criterion:P1-COMPONENT-ERRORS
  Scenario Outline: The <component> refuses <bad input> with an error naming <field>, and keeps working
    Given a normal market in 2 symbols
    And the trading system trades on it with its default configuration
    When the market trades for 5 seconds
    And <bad input> is given to the <component>
    Then it is refused with an error naming the field "<field>"
    And the <component> still does its job afterwards

    Examples:
      | component                | bad input                               | field        |
      | Market Data System       | a quote with a negative bid price       | bid_price    |
      | Market Data System       | a quote with a NaN ask size             | ask_qty      |
      | Market Data System       | a crossed quote                         | ask_price    |
      | Market Data System       | a quote for an unknown symbol           | symbol       |
      | Trading Execution Engine | an order for zero shares                | qty          |
      | Trading Execution Engine | an order with a NaN price               | price        |
      | Trading Execution Engine | an order on an unknown side             | side         |
      | Risk Management System   | risk limits with an unknown key         | max_ordr_qty |
      | Paper Trading System     | a fill with a negative quantity         | qty          |
      | System settings          | a configuration with a misspelled key   | pool_sise    |
