"""The suite's sensitivity audit: defects planted in the system under test, one at a time, each of
which the acceptance scenarios of the criteria it names must turn red (``make audit``)."""
