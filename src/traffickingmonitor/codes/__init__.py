"""codes stage of the traffickingmonitor data flow."""
