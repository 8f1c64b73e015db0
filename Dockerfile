# Covenant's container image: one image for every role (see docs/deploy.md).
#   web:    docker run -e JOB_WORKERS=0 ... covenant            (behind the load balancer, port 3000)
#   worker: docker run ... covenant worker --health-port 9000   (not behind the load balancer)
# Not built or tried by the project's CI (its machines reach no container registry).
FROM node:20-bookworm-slim
# better-sqlite3 compiles during npm ci; git serves `covenant check` inside the image.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ git \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY src ./src
COPY bin ./bin
COPY tsconfig.json app.yml ./
# npm ci runs `prepare`: the Prisma clients and the build in dist/. This image keeps Node's
# headers under /usr/local (the repository's .npmrc points at Debian's, under /usr).
RUN npm ci --no-audit --no-fund --nodedir=/usr/local && npm prune --omit=dev --no-audit --no-fund
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
EXPOSE 3000
USER node
HEALTHCHECK CMD node -e "fetch('http://127.0.0.1:'+(process.env.HEALTH_PORT||process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/covenant.js"]
CMD ["serve"]
