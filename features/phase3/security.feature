@phase3
Feature: Only authenticated, authorised callers can trade or operate the system
  The operator interface (status, positions, kill switch, deploy, backup, metrics) authenticates every
  request with a signed API key and authorises it by role; every decision is audited. Venue sessions
  cannot be hijacked or replayed. Together these are the plan's security compliance.

  @criterion:P3-ACCESS-CONTROL @criterion:P3-SECURITY
  Scenario Outline: A <request> to <action> is <outcome> and audited
    Given the operator interface of a live simulated session
    When a <request> asks to <action>
    Then the request is <outcome>
    And the audit log records the decision with the caller, the action and the reason

    Examples:
      | request                             | action              | outcome               |
      | request without a signature         | read positions      | refused as unsigned   |
      | request with a bad signature        | read positions      | refused as tampered   |
      | request signed 10 minutes ago       | read positions      | refused as expired    |
      | replay of an accepted request       | read positions      | refused as replayed   |
      | viewer's signed request             | send an order       | refused as forbidden  |
      | trader's signed request             | trigger kill switch | refused as forbidden  |
      | viewer's signed request             | read positions      | allowed               |
      | trader's signed request             | send an order       | allowed               |
      | risk officer's signed request       | trigger kill switch | allowed               |
      | trader's signed request             | deploy a version    | refused as forbidden  |
      | admin's signed request              | deploy a version    | allowed               |

  @criterion:P3-SECURE-BROKER @criterion:P3-SECURITY
  Scenario Outline: The exchange connection refuses <attempt>
    Given a live simulated session in a calm market of 1 symbol
    When <attempt> is made on the order-entry connection
    Then the logon is refused and the system's own sessions keep trading

    Examples:
      | attempt                                          |
      | a logon with the wrong secret                    |
      | a replay of the system's earlier logon           |
      | a sixth logon with the wrong secret in a minute  |

  @criterion:P3-SECURITY
  Scenario Outline: Hostile input in <field> is refused and changes nothing
    Given the operator interface of a live simulated session
    When a trader's signed request carries <input> in <field>
    Then the request is refused with a message naming <field>
    And the database holds the same rows as before

    Examples:
      | field           | input                       |
      | symbol          | an SQL-looking string       |
      | client order id | an SQL-looking string       |
      | body            | a payload of 10 megabytes   |
      | body            | malformed JSON              |
