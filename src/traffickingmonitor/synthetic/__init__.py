"""synthetic stage of the traffickingmonitor data flow."""
