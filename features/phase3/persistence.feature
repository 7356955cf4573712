@phase3
Feature: Orders, fills, positions and audit events are kept in the database, with structured logs
  For production the system persists what it does, so that it can restart, be audited and be
  reconciled. Its logs are structured and carry no secrets.

  @criterion:P3-DATABASE-LOGGING
  Scenario: The database holds every order and fill the exchange recorded for the account
    Given a live simulated session in a normal market of 3 symbols with the production database
    When the session trades for 300 simulated seconds
    Then every order and fill in the exchange's records for the account is in the database
    And the positions in the database equal those the exchange's fills imply

  @criterion:P3-DATABASE-LOGGING
  Scenario: Every log line is structured and free of secrets
    Given a live simulated session in a normal market of 3 symbols with the production database
    When the session trades for 60 simulated seconds
    Then every log line is a JSON object with a time, a level, a component and a message
    And no log line contains a secret
