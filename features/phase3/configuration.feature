@phase3
Feature: Production configuration is validated before the system starts
  The system runs from configuration profiles (dev, paper, production) with a schema and layered
  overrides; secrets come only from the environment. A bad profile is refused with a message naming
  the file, the key and the reason, and nothing starts.

  @criterion:P3-CONFIG
  Scenario Outline: The <profile> profile loads and starts a trading session
    Given the <profile> configuration profile with its secrets in the environment
    When a simulated session starts from that profile
    Then the system trades with the profile's limits and endpoints

    Examples:
      | profile    |
      | dev        |
      | paper      |
      | production |

  @criterion:P3-CONFIG
  Scenario Outline: A production profile with <problem> is refused, naming the key
    Given the production configuration profile with <problem>
    When the system is started from it
    Then it refuses to start with a message naming the file, the key "<key>" and the reason
    And no order reaches the exchange

    Examples:
      | problem                                   | key                |
      | a maximum order quantity written as text  | risk.max_order_qty |
      | an unknown key                            | risk.max_ordr_qty  |
      | the venue secret missing from environment | venue.secret       |
      | a negative loss limit                     | risk.max_loss      |

  @criterion:P3-CONFIG
  Scenario: Secrets never appear in logs or report attachments
    Given the production configuration profile with its secrets in the environment
    When a simulated session starts from that profile and trades for 60 simulated seconds
    Then no log line and no report attachment contains the venue secret
