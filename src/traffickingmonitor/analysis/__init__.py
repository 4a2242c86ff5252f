"""analysis stage of the traffickingmonitor data flow."""
