"""Services: functions over plain data that change the database, each with the session passed in."""
