"""disclosure stage of the traffickingmonitor data flow."""
