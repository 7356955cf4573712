Feature: Market data with sequence numbers, and recovery from a gap
  Each symbol's feed numbers its messages. A subscriber that misses messages sees a gap in the
  numbers, asks for a snapshot, and from then on knows exactly what a subscriber that missed
  nothing knows.

  Scenario: A subscriber that loses messages recovers the same book from a snapshot
    Given a simulated normal market in 2 symbols
    And two subscribers to its market data feed
    When the feed drops 25 messages for the second subscriber only
    And the market trades for 20 seconds
    Then the second subscriber has seen a gap in the sequence numbers
    And after it recovers from a snapshot both subscribers hold the same top of book for every symbol

  Scenario: Sequence numbers run without gaps on every channel when nothing is lost
    Given a simulated normal market in 3 symbols
    And one subscriber to its market data feed
    When the market trades for 20 seconds
    Then every channel's sequence numbers run 1, 2, 3 and so on without a gap
