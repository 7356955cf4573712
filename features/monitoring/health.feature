@phase3
Feature: Health checks notice an unhealthy component within a bound
  For production, every component reports its health, and the Health Check System notices a
  component going unhealthy quickly enough for the operator and the alerting to act. Whether a
  component is unhealthy is judged from outside the system: no market data reaching it beyond its
  stale bound, no session of the account at the exchange.

  @criterion:P3-HEALTH-CHECKS
  Scenario: Every component reports its health, and the health check system polls them all
    Given a live simulated session in a normal market of 3 symbols with monitoring on
    When the session trades for 60 simulated seconds
    Then every component of the system reports its health, polled at least 200 times by the health check system

  @criterion:P3-HEALTH-CHECKS
  Scenario Outline: The health check system notices that the <component> became unhealthy within half a second
    Given a live simulated session in a normal market of 3 symbols with monitoring on
    And the exchange simulator makes the <component> unhealthy by <cause> 5 times, 30 simulated seconds apart
    When the session trades through them
    Then the health check system reported the <component> unhealthy within 0.5 simulated seconds each time, over at least 5 times
    And it reported the <component> healthy again within 0.5 simulated seconds each time it recovered

    Examples:
      | component                | cause                                                |
      | Market Data System       | a withheld market data feed                          |
      | Trading System Optimizer | a gateway crash that drops every order-entry session |
