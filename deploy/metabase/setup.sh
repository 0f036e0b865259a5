#!/bin/sh
# One-shot: create Metabase's admin and register the warehouse with the read-only role `frisk_bi`.
# Dashboards: see docs/bi.md (the marts are the documented source; starter questions are SQL in deploy/metabase/).
set -eu
MB=http://metabase:3000
until curl -sf "$MB/api/health" >/dev/null; do sleep 5; done
TOKEN=$(curl -sf "$MB/api/session/properties" | sed -n 's/.*"setup-token":"\([^"]*\)".*/\1/p')
if [ -n "$TOKEN" ]; then
  curl -sf -X POST "$MB/api/setup" -H 'Content-Type: application/json' -d "{
    \"token\": \"$TOKEN\",
    \"user\": {\"email\": \"admin@frisk.local\", \"password\": \"$MB_ADMIN_PASSWORD\", \"first_name\": \"Frisk\", \"last_name\": \"Admin\"},
    \"prefs\": {\"site_name\": \"Frisk\", \"allow_tracking\": false},
    \"database\": {\"engine\": \"postgres\", \"name\": \"Frisk warehouse (marts)\",
      \"details\": {\"host\": \"warehouse\", \"port\": 5432, \"dbname\": \"warehouse\", \"user\": \"frisk_bi\",
                    \"password\": \"$FRISK_BI_PASSWORD\", \"schema-filters-type\": \"inclusion\",
                    \"schema-filters-patterns\": \"marts\"}}}" >/dev/null
  echo "Metabase configured"
else
  echo "Metabase already set up"
fi
