Feature: Trading halts and resumes
  The exchange halts a symbol when an operator or an injected fault says so, or when its price
  moves too far too fast. While halted it accepts no new orders; resting orders wait.

  Background:
    Given an exchange trading ACME with a tick of 0.01, a lot of 1 and a price band of 10% around 50.00

  Scenario: Orders are refused while the symbol is halted and accepted again after it resumes
    Given these orders rest in the ACME book:
      | order | side | price | qty |
      | S1    | sell | 50.10 | 100 |
    When the exchange halts ACME
    And a client sends a buy of 100 ACME at 50.10
    Then the order is rejected with reason "market_halted"
    And the market data feed announces ACME as halted
    When the exchange resumes ACME
    And a client sends a buy of 100 ACME at 50.10
    Then the order trades 100 at 50.10

  Scenario: A trade far from the reference price halts the symbol, which resumes by itself
    Given the volatility halt triggers at a move of 4% and lasts 60 seconds
    And these orders rest in the ACME book:
      | order | side | price | qty |
      | S1    | sell | 52.50 | 10  |
    When a client sends a buy of 10 ACME at 52.50
    Then the market data feed announces ACME as halted
    And after 61 seconds the market data feed announces ACME as trading again
