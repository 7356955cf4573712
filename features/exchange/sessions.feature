Feature: Order-entry sessions
  A client must log on with valid credentials before it can trade. A logon cannot be replayed,
  and a client may ask the exchange to cancel its orders if its session drops.

  Background:
    Given a simulated calm market in 1 symbol
    And the client account ALPHA with its secret

  Scenario: A logon with the wrong secret is refused
    When ALPHA logs on with a wrong secret
    Then the logon is refused with reason "bad_credentials"

  Scenario: A replayed logon is refused
    Given ALPHA has logged on once
    When someone replays ALPHA's logon message on a new connection
    Then the logon is refused with reason "stale_nonce"

  Scenario: Orders are cancelled when a session that asked for it drops
    Given ALPHA has logged on asking for cancel on disconnect
    And ALPHA has an order resting in the book
    When the exchange drops ALPHA's session
    Then ALPHA's resting order is cancelled by the exchange
