module tariff.example/client

go 1.19
