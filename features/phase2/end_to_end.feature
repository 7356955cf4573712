@phase2
Feature: Complete trading sessions succeed end to end
  A session succeeds when every order the system sent reached a state the exchange's own records
  agree with, and its fills, positions and cash reconcile exactly. Many sessions run across seeds
  and market profiles; each is listed with its profile, seed, orders and result.

  @criterion:OBJ-E2E @criterion:SYS-E2E-RATE
  Scenario: At least 95% of complete simulated sessions succeed end to end
    When 20 sessions of 60 seconds run across the calm, normal, volatile, flash_crash and illiquid markets
    Then the end-to-end success rate is at least 95%, over at least 20 sessions
    And every session sent orders to the exchange
