-- int_scheduled_hours, the working-day calendar spelled out as one row per employment and working day, is no longer
-- a dbt model: no model read it (int_sick_leave_days and int_employment_month_hours compute the calendar from
-- macros/scheduled_calendar.sql), and at 50,000 employees x 5 years it held 47 million rows (7.4 GB) and took about
-- two minutes of every full build. dbt does not drop the tables of removed models, so this does.
drop table if exists intermediate.int_scheduled_hours;
