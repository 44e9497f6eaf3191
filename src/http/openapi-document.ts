/**
 * The top of the served OpenAPI document; operations and schemas come from the routes.
 * `serverUrl`: where this deployment answers (PUBLIC_BASE_URL, else the request's origin).
 */
export function openApiDocument(serverUrl: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Image & metadata API',
      version: '1.0.0',
      description: 'Images in S3-compatible storage, metadata in PostgreSQL, duplicates by MD5.',
      // The project publishes no licence (package.json is private): all rights reserved.
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: serverUrl, description: 'This deployment' }],
    tags: [
      { name: 'images', description: 'Upload, search, read, update and delete image records' },
      { name: 'content', description: 'The stored image bytes' },
      { name: 'analysis', description: 'Gemini image analysis' },
      { name: 'service', description: 'Health and the limits in force' },
    ],
  }
}
