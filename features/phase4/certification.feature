@phase4 @verdict
Feature: The certification judges this run's results
  These scenarios judge the results the rest of the suite recorded in this run, so they run after it:
  `make certify` runs the suite, then these (they skip themselves in a run that has not finished).
  They compute the readiness score with the same code that writes the certification report, so the
  score they judge is the score in the report. The criteria they carry are not terms of that score,
  since they are computed from it; they count for approval.

  Background:
    Given the results the acceptance suite recorded in this run

  @criterion:P4-CERT-SUITE
  Scenario: The whole suite ran in one command
    Then every scenario of the feature files has a result in this run

  @criterion:P4-CERT-SUITE
  Scenario: The certification lists every criterion of the plan with a result
    When the certification of this run is computed
    Then it lists every criterion of the plan's register with its target, its status and its scenarios

  @criterion:P4-PERF-TARGETS
  Scenario: Every performance target is met in this run, each figure measured
    When the certification of this run is computed
    Then every performance criterion passed with all its figures measured

  @criterion:OBJ-GOLD
  Scenario: The readiness score reaches the GOLD standard
    When the certification of this run is computed
    Then the readiness score reaches 95%

  @criterion:BASE-READINESS
  Scenario: The readiness score reaches at least the WS4-P5 readiness
    When the certification of this run is computed
    Then the readiness score reaches 85.8%

  @criterion:DEL-INTEGRATION-REPORT
  Scenario: The final integration report is generated from this run's results
    When the certification command writes its report on this run's results
    Then the report gives every criterion's status and measured figures as this run recorded them

  @criterion:DEL-PERF-REPORT
  Scenario: The performance validation report gives every performance figure with its target and method
    When the certification command writes its report on this run's results
    Then the performance validation report lists every figure of a performance criterion with its target, value, samples and method

  @criterion:DEL-SECURITY-REPORT
  Scenario: The security compliance report gives every security check of this run with its result
    When the certification command writes its report on this run's results
    Then the security compliance report lists every security check of this run with its result

  @criterion:DEL-GOLIVE-APPROVAL
  Scenario: The go-live approval follows from the score and names what blocks it
    When the certification command writes its report on this run's results
    Then approval is granted only at GOLD with nothing failed, not run or not attested
    And the command's exit code is 0 exactly when approval is granted
    And the go-live approval names every failed, not run and not attested criterion

  @criterion:P4-TEAM-READINESS
  Scenario: The operational team's readiness is attested by a signed statement
    When the attestations kept in the project are checked
    Then the team's readiness is attested by a statement signed by a listed signer
