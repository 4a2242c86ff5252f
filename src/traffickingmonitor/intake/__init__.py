"""intake stage of the traffickingmonitor data flow."""
