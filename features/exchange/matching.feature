@smoke
Feature: Matching orders by price, then time
  The exchange fills an incoming order against the best-priced resting orders first and, among
  orders at the same price, the one that arrived first. A trade happens at the resting order's price.

  Background:
    Given an exchange trading ACME with a tick of 0.01 and a lot of 1

  Scenario: A buy order trades with the cheapest sellers first, earliest first at each price
    Given these orders rest in the ACME book:
      | order | side | price | qty |
      | S1    | sell | 10.02 | 100 |
      | S2    | sell | 10.01 | 100 |
      | S3    | sell | 10.01 | 50  |
    When order B1 buys 180 ACME at 10.02
    Then these trades happen:
      | buyer | seller | price | qty |
      | B1    | S2     | 10.01 | 100 |
      | B1    | S3     | 10.01 | 50  |
      | B1    | S1     | 10.02 | 30  |
    And the ACME book shows nothing bid and 70 at 10.02 offered

  Scenario: A market order takes whatever liquidity there is and never rests
    Given these orders rest in the ACME book:
      | order | side | price | qty |
      | B1    | buy  | 9.99  | 40  |
      | B2    | buy  | 9.98  | 40  |
    When order S1 sells 100 ACME at market
    Then these trades happen:
      | buyer | seller | price | qty |
      | B1    | S1     | 9.99  | 40  |
      | B2    | S1     | 9.98  | 40  |
    And order S1 is cancelled with 20 unfilled
    And the ACME book shows nothing bid and nothing offered

  Scenario Outline: Time in force decides what happens to the part that cannot trade at once
    Given these orders rest in the ACME book:
      | order | side | price | qty |
      | S1    | sell | 10.00 | 60  |
    When order B1 buys 100 ACME at 10.00 <tif>
    Then order B1 has filled <filled> and is <state>
    And the ACME book shows <bid> bid

    Examples:
      | tif | filled | state                | bid          |
      | GTC | 60     | resting with 40 open | 40 at 10.00  |
      | IOC | 60     | cancelled            | nothing      |
      | FOK | 0      | cancelled            | nothing      |

  Scenario Outline: Reducing an order keeps its place in the queue; anything else loses it
    Given these orders rest in the ACME book:
      | order | side | price | qty |
      | B1    | buy  | 10.00 | 100 |
      | B2    | buy  | 10.00 | 100 |
    When order B1 is amended to <qty> at <price>
    And order S1 sells 50 ACME at 9.90
    Then order <first> is the one that trades

    Examples:
      | qty | price | first |
      | 60  | 10.00 | B1    |
      | 150 | 10.00 | B2    |
      | 100 | 10.01 | B1    |
      | 100 | 9.99  | B2    |
