-- loyalty.tier = "gold" and person.name.lastName < "M" and loyalty.points / 4 >= 250
-- parameters: ["gold","M",4,250]
SELECT p.pk FROM profiles p WHERE ((struct_extract(struct_extract(p.attrs, 'loyalty'), 'tier') = CAST($1 AS VARCHAR) AND struct_extract(struct_extract(struct_extract(p.attrs, 'person'), 'name'), 'lastName') < CAST($2 AS VARCHAR)) AND (CAST(struct_extract(struct_extract(p.attrs, 'loyalty'), 'points') AS DOUBLE) / NULLIF(CAST($3 AS BIGINT), 0)) >= CAST($4 AS BIGINT)) ORDER BY p.pk
