-- loyalty.tier = "gold" and person.name.lastName < "M" and loyalty.points / 4 >= 250
-- parameters: ["gold","M",4,250]
SELECT p.pk FROM profiles p WHERE (((p.attrs -> 'loyalty' ->> 'tier') = CAST($1 AS TEXT) AND (p.attrs -> 'person' -> 'name' ->> 'lastName') < CAST($2 AS TEXT) COLLATE "C") AND (CAST(CAST(p.attrs -> 'loyalty' ->> 'points' AS bigint) AS DOUBLE PRECISION) / NULLIF(CAST($3 AS BIGINT), 0)) >= CAST($4 AS BIGINT)) ORDER BY p.pk
