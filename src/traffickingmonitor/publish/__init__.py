"""publish stage of the traffickingmonitor data flow."""
