"""What Escalator does, one job a module, each written against the ports
(chalicelib.ports) it is given in a Context: intake, escalation, notify, agent actions,
storms, timers, queries. tests/service runs them on fakes."""
