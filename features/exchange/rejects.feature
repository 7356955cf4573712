Feature: The exchange refuses orders that break its rules, and says why
  Every refusal carries a reason code, so a trading system can tell its own mistakes from the
  market's state.

  Background:
    Given an exchange trading ACME with a tick of 0.01, a lot of 100 and a price band of 10% around 50.00

  Scenario Outline: An order that breaks a rule is rejected with its reason
    When a client sends <order>
    Then the order is rejected with reason "<reason>"
    And nothing rests in the ACME book

    Examples:
      | order                                    | reason             |
      | a buy of 100 XXXX at 50.00               | unknown_symbol     |
      | a buy of 0 ACME at 50.00                 | bad_quantity       |
      | a buy of 150 ACME at 50.00               | bad_quantity       |
      | a buy of 100 ACME at 50.005              | price_off_tick     |
      | a buy of 100 ACME at 56.00               | price_outside_band |
      | a sell of 100 ACME at 44.00              | price_outside_band |

  Scenario: A client order id can be used only once
    Given the client has sent a buy of 100 ACME at 50.00 as order A1
    When the client sends a buy of 100 ACME at 49.99 as order A1
    Then the second order is rejected with reason "duplicate_clordid"
    And the ACME book shows 100 at 50.00 bid and nothing offered

  Scenario: Cancelling an order the exchange does not know is refused
    When the client cancels order NOPE
    Then the cancel is refused with reason "unknown_order"
