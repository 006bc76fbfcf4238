; The unsigned source of examples/zones/example.com.signed (see examples/zone-file-domains.yaml).
$TTL 3600
$ORIGIN example.com.
@       IN SOA  ns1.example.com. hostmaster.example.com. 2026112801 7200 3600 1209600 300
@       IN NS   ns1.example.com.
@       IN NS   ns2.example.com.
@       IN A    192.0.2.10
@       IN AAAA 2001:db8::10
@       IN MX   10 mail.example.com.
ns1     IN A    192.0.2.1
ns2     IN A    192.0.2.2
www     IN A    192.0.2.10
www     IN AAAA 2001:db8::10
mail    IN A    192.0.2.25
