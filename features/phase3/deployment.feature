@phase3
Feature: Deployment is one command, staged, and rolled back automatically when a version is bad
  A new system version is deployed into a running session by one command: a canary stage takes part
  of the order flow, health and performance gates decide promotion, and a failing or slower version is
  rolled back to the previous one. No order is lost or doubled across a switch, and the manual
  procedure in the runbook is a tested command sequence. Which version sent an order is read at the
  exchange from the order itself: each version the scenarios deploy sends its own order size.

  @criterion:P3-DEPLOY-AUTOMATION
  Scenario: A new version deployed with one command takes over without losing an order
    Given a live simulated session trading with system version 1
    When version 2 is deployed with the deployment command after 60 simulated seconds
    And the session trades on for 120 simulated seconds
    Then version 2 is promoted and sends every new order after its promotion, over at least 50 orders
    And the system's orders, fills and positions reconcile exactly with the exchange

  @criterion:RISK-STAGED-DEPLOY
  Scenario: A canary stage takes part of the order flow before full promotion
    Given a live simulated session trading with system version 1
    When version 2 is deployed with a canary share of 10% for 120 simulated seconds
    And the session trades on for 150 simulated seconds
    Then version 2 sends between 5% and 15% of the new orders during the canary stage, over at least 100 orders
    And version 2 is promoted at the end of the canary stage, its orders all accepted and answered within 15.5 ms at p99

  @criterion:P3-ROLLBACK-DR @criterion:RISK-FALLBACK
  Scenario: A version whose orders the exchange rejects is rolled back by the health gate
    Given a live simulated session trading with system version 1
    When a version whose orders the exchange rejects is deployed after 60 simulated seconds
    And the session trades on for 180 simulated seconds
    Then the health gate rolls it back to version 1 within 2 simulated seconds of the exchange's fifth reject of its orders
    And the bad version sends no order after the rollback, over at least 50 orders
    And the system's orders, fills and positions reconcile exactly with the exchange

  @criterion:RISK-PERF-ROLLBACK
  Scenario: A slower version is detected by performance monitoring and rolled back
    Given a live simulated session trading with system version 1
    When a version that takes 20 ms longer per decision is deployed after 60 simulated seconds
    And the session trades on for 180 simulated seconds
    Then its order latency at the venue was above 15.5 ms at p99 while version 1's was below
    And the performance gate rolled it back to version 1
    And the bad version sends no order after the rollback, over at least 50 orders
    And the system's orders, fills and positions reconcile exactly with the exchange

  @criterion:P3-ROLLBACK-DR
  Scenario: A crash mid-session loses nothing: the system restarts from its database and reconciles
    Given a live simulated session in a normal market of 3 symbols with the production database
    When the system crashes after 120 simulated seconds, losing all its memory
    And it restarts from its database and trades for another 60 simulated seconds
    Then every order and fill the exchange recorded for the account is in the books exactly once

  @criterion:RISK-STAGED-DEPLOY @criterion:RISK-FALLBACK
  Scenario: The manual deployment and fallback procedure of the runbook works step by step
    Given a live simulated session trading with system version 1
    When the operator follows the runbook's manual procedure to switch to version 2 and fall back to version 1, 60 simulated seconds apart
    Then each request of the procedure succeeds and the status shows the version it switched to
    And version 2 sent every new order while it was active, over at least 50 orders
    And version 1 sends every new order after the fallback, over at least 50 orders
    And the system's orders, fills and positions reconcile exactly with the exchange
