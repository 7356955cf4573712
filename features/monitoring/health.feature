@phase3 @pending
Feature: Health checks notice an unhealthy component within a bound
  For production, every component reports its health, and the Health Check System notices a
  component going unhealthy quickly enough for the operator and the alerting to act.
  (Pending: the production health checks are not built yet; not run until they are.)

  @criterion:P3-HEALTH-CHECKS
  Scenario Outline: The health check system notices that the <component> became unhealthy within 2 seconds
    Given a live simulated session in a normal market of 3 symbols with monitoring on
    When the <component> is made unhealthy by <cause> after 30 simulated seconds
    Then the health check system reports the <component> unhealthy within 2 simulated seconds
    And it reports the <component> healthy again once <cause> ends

    Examples:
      | component                | cause                                  |
      | Market Data System       | a withheld market data feed            |
      | Trading System Optimizer | every order-entry session dropped      |
      | Trading Execution Engine | a storm of refused orders              |
