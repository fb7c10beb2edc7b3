-- xEvent.topN(timestamp, 2).head().eventType = "commerce.checkouts" or interests.distinct().count() < interests.count()
-- parameters: ["commerce.checkouts"]
SELECT p.pk FROM profiles p LEFT JOIN (SELECT e.pk, first(struct_insert(e.attrs, "timestamp" := e.ts) ORDER BY e.ts DESC, e.ts ASC) FILTER (WHERE e.ts IS NOT NULL) AS a1 FROM events e WHERE (e.ts IS NOT NULL) GROUP BY e.pk) ev ON ev.pk = p.pk WHERE (struct_extract(ev.a1, 'eventType') = CAST($1 AS VARCHAR) OR len(list_distinct(struct_extract(p.attrs, 'interests'))) < len(struct_extract(p.attrs, 'interests'))) ORDER BY p.pk
