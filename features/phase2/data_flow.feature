@phase2
Feature: Data flows between components reliably and in order
  Components talk through the data flow manager. Every message it publishes must reach each of
  its consumers once, in order, even while faults are injected and market data has to be recovered.
  A consumer of the certification's own (a probe on the bus) counts what arrives; the exchange
  says which snapshots it served; the books are compared with the exchange's at the end.

  Background:
    Given a normal market in 3 symbols
    And the trading system trades on it with its default configuration
    And this fault plan:
      | at | fault      | count | account | duration |
      | 20 | drop_feed  | 40    |         |          |
      | 45 | disconnect |       | ALLUSE  |          |
      | 70 | stale_feed |       |         | 2        |
    When the market trades for 100 seconds

  @smoke @criterion:P2-CROSS-COMPONENT
  Scenario: At least 98% of published messages reach a consumer once and in order
    Then the data flow reliability is at least 98%, over at least 1,000 published messages

  @criterion:P2-DATA-FLOW
  Scenario: After a gap in the feed the system asks for a snapshot and its books match the exchange's
    Then the feed the system was shown had a gap, and the exchange served it a snapshot after it
    And the system's top of book equals the exchange's for every symbol

  @criterion:P2-DATA-FLOW
  Scenario: Every consumer sees every topic's messages in sequence
    When the market trades on for 150 more seconds
    Then every topic's sequence numbers reached the probe in order, with no gap and no repeat
    And all through the session the system's top of book matched the exchange's quotes, over at least 1,000 checks

  @criterion:SYS-INTEGRATION-RATE
  Scenario: Components work together: each pair's interactions succeed
    Then the pairwise integration success is at least 95%, over at least 10 interactions per pair
