@phase2
Feature: Data flows between components reliably and in order
  Components talk through the data flow manager. Every message it publishes must reach each of
  its consumers once, in order, even while faults are injected and market data has to be recovered.

  Background:
    Given a normal market in 3 symbols
    And the trading system trades on it with its default configuration
    And this fault plan:
      | at | fault      | parameters     |
      | 20 | drop_feed  | count=40       |
      | 45 | disconnect | account=ALLUSE |
      | 70 | stale_feed | duration=2     |
    When the market trades for 100 seconds

  @criterion:P2-CROSS-COMPONENT
  Scenario: At least 98% of published messages are delivered, and loss and duplication are measured
    Then the data flow reliability is at least 98%
    And message loss and duplication are recorded per topic

  @criterion:P2-DATA-FLOW
  Scenario: Every consumer sees every topic's messages in sequence, also after a market data gap
    Then the market data system recovered from at least one sequence gap
    And every consumer saw every topic's sequence numbers in order without a gap
    And the system's top of book equals the exchange's for every symbol

  @criterion:SYS-INTEGRATION-RATE
  Scenario: Components work together: pairwise interactions succeed
    Then the pairwise integration success is at least 95%
