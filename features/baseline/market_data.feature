@phase2 @baseline
Feature: The WS4-P5 market data baseline is maintained
  WS4-P5 measured the market data system at 33,481 operations per second and 0.030 ms per
  operation. The certification measures it again on a stream the simulated exchange produced.

  Background:
    Given a stream of 200000 market data updates recorded from a simulated normal market in 5 symbols

  @criterion:BASE-MD-THROUGHPUT
  Scenario: The market data system keeps up with the baseline rate
    When the market data system processes the stream
    Then its market data throughput is at least 33,481 updates/s, over at least 100,000 market data updates
    And its books match the exchange's books at the end of the stream

  @criterion:BASE-MD-LATENCY
  Scenario: Each market data update is processed within 0.030 ms
    When the market data system processes the stream one update at a time under a latency histogram
    Then its p50 processing latency is at most 0.030 ms, over at least 100,000 market data updates
    And its p99 processing latency is at most 0.030 ms, over at least 100,000 market data updates
