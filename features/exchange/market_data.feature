Feature: Market data with sequence numbers, and recovery from a gap
  Each symbol's feed numbers its messages. A client that misses messages sees a gap in the
  numbers, asks for a snapshot, and from then on holds the same book as the exchange.

  Scenario: A client that loses messages recovers the exchange's top of book from a snapshot
    Given a simulated normal market in 2 symbols
    And a client subscribed to its market data feed
    When the market trades for 10 seconds
    And the feed drops 25 messages
    And the market trades for 20 seconds
    Then the client has seen a gap in the sequence numbers and recovered from a snapshot
    And once the market closes the client holds the exchange's top of book for every symbol

  Scenario: Sequence numbers run without gaps on every channel when nothing is lost
    Given a simulated normal market in 3 symbols
    And a client subscribed to its market data feed
    When the market trades for 20 seconds
    Then every channel's sequence numbers run 1, 2, 3 and so on without a gap
    And once the market closes the client holds the exchange's top of book for every symbol
