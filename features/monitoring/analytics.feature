@phase2
Feature: The Real-time Analytics Engine grades a session, and the Performance Dashboard draws it
  WS4-P5 graded the system A+ with its analytics engine and showed its performance on a 7-chart
  dashboard. Analytics must consume what monitoring collected in the same session, and a worse
  session must get a worse grade.

  @criterion:BASE-ANALYTICS-GRADE
  Scenario: A healthy session is graded A+ by the documented thresholds
    Given a live simulated session in a normal market of 5 symbols with monitoring on
    When the session trades for 300 simulated seconds
    Then the analytics engine grades the session A+
    And the grade report quotes the fill rate, slippage, latency percentiles, throughput and error rate it used

  @criterion:BASE-ANALYTICS-GRADE
  Scenario Outline: A session degraded by <degradation> gets a lower grade than a healthy one
    Given a live simulated session in a normal market of 5 symbols with monitoring on
    And the exchange simulator injects <degradation>
    When the session trades for 300 simulated seconds
    Then the analytics engine grades the session below A+

    Examples:
      | degradation                                       |
      | a tenfold latency spike on order entry for 60 s   |
      | a storm of refused orders for 30 s                |

  @criterion:P2-MONITORING-ANALYTICS
  Scenario: The analytics report quotes the figures monitoring collected in the same session
    Given a live simulated session in a normal market of 3 symbols with monitoring on
    When the session trades for 120 simulated seconds
    Then the analytics report's order count, fill count and latency percentiles equal the monitoring framework's

  @criterion:BASE-DASHBOARD
  Scenario: The dashboard of a session holds 7 charts of what the session measured
    Given a live simulated session in a normal market of 3 symbols with monitoring on
    And this fault plan:
      | at  | fault      | duration |
      | 120 | stale_feed | 10       |
    When the performance dashboard records the session for 300 simulated seconds
    Then it holds these 7 charts, each showing what the session measured:
      | chart                                 |
      | order latency over time               |
      | throughput over time                  |
      | orders and fills                      |
      | profit and loss, and position         |
      | alerts over time                      |
      | market data rate and cache hit rate   |
      | component health                      |
    And the charts and the dashboard page are attached to the report

  @criterion:BASE-DASHBOARD
  Scenario: The dashboard page renders in a real browser
    Given a live simulated session in a normal market of 3 symbols with monitoring on
    When the performance dashboard records the session for 120 simulated seconds
    Then a headless browser opens the dashboard page and shows its 7 charts
