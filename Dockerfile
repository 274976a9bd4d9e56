# Mado: build and unit-test on Debian 12, then run from a slim Debian 12 as user mado.
#
#   docker build -t mado .
#   docker run --rm -e MADO_DB_MIGRATE_URL=... mado migrate
#   docker run -p 8443:8443 -v /srv/mado/tls:/etc/mado/tls:ro -e MADO_DB_URL=... \
#       -e MADO_PUBLIC_ORIGIN=https://portal.example.jp mado
# README.md lists the volumes and variables.

FROM debian:12 AS build
WORKDIR /src
COPY scripts/setup scripts/setup
# scripts/setup build brings libcbor-dev and libqrencode-dev (passkeys, QR login); the
# runtime stage's scripts/setup runtime brings libcbor0.8 and libqrencode4.
RUN scripts/setup build
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build -j"$(nproc)" --target mado mado-holder mado-verify mado-witness mado_tls_shim unit \
 && cd build && ctest -L unit --output-on-failure

FROM debian:12-slim
COPY scripts/setup /usr/local/sbin/mado-setup
RUN /usr/local/sbin/mado-setup runtime \
 && rm -rf /var/lib/apt/lists/* /usr/local/sbin/mado-setup \
 && useradd --system --home-dir /opt/mado --shell /usr/sbin/nologin mado
# libmado-tls.so must sit beside mado (and mado-holder): it makes Debian's CivetWeb work
# with OpenSSL 3. mado-holder is the data holders' service (docs/holders.md), in the same
# image: an agency runs it with ENTRYPOINT /opt/mado/bin/mado-holder.
COPY --from=build /src/build/mado /src/build/mado-holder /src/build/mado-verify \
     /src/build/mado-witness /src/build/libmado-tls.so /opt/mado/bin/
COPY --from=build /src/web /opt/mado/web
COPY --from=build /src/sql /opt/mado/sql
WORKDIR /opt/mado
ENV MADO_LISTEN=0.0.0.0:8443 \
    MADO_TLS_CERT=/etc/mado/tls/server.pem \
    MADO_WEB_ROOT=/opt/mado/web \
    MADO_MIGRATIONS_DIR=/opt/mado/sql/migrations
USER mado
EXPOSE 8443
VOLUME ["/etc/mado/tls"]
ENTRYPOINT ["/opt/mado/bin/mado"]
CMD ["serve"]
