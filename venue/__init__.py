"""The venue protocol: the only vocabulary the trading system and an exchange share.

Both the simulated exchange (``simulator``) and the system under test (``system``) import this
package; neither imports the other.
"""
