Feature: Same seed, same run
  An incident found in a simulated session must be reproducible: the same seed and
  configuration produce the same exchange journal, byte for byte.

  Scenario: Two runs with the same seed write identical journals
    When a normal market in 3 symbols runs for 30 seconds twice with the same seed
    Then the two journals are identical byte for byte

  Scenario: A different seed gives a different market
    When a normal market in 3 symbols runs for 30 seconds with two different seeds
    Then the two journals differ
