-- interests.includes("yoga") and homeAddress.city like "S%" and personalEmail.address.matches("^[a-z.]+@example\\.com$")
-- parameters: ["yoga","S%","^[a-z.]+@example\\.com$"]
SELECT p.pk FROM profiles p WHERE ((list_contains(struct_extract(p.attrs, 'interests'), CAST($1 AS VARCHAR)) AND (struct_extract(struct_extract(p.attrs, 'homeAddress'), 'city') LIKE CAST($2 AS VARCHAR))) AND regexp_matches(struct_extract(struct_extract(p.attrs, 'personalEmail'), 'address'), CAST($3 AS VARCHAR))) ORDER BY p.pk
