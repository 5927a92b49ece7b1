/** Bulk operations: start a bulk query, read one operation (status, counts, result URLs), cancel. */
export const BULK_RUN_QUERY = `#graphql
  mutation BulkRunQuery($query: String!, $groupObjects: Boolean!) {
    bulkOperationRunQuery(query: $query, groupObjects: $groupObjects) {
      bulkOperation {
        id
        status
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;

export const BULK_OPERATION_QUERY = `#graphql
  query BulkOperationStatus($id: ID!) {
    bulkOperation(id: $id) {
      id
      status
      errorCode
      createdAt
      completedAt
      objectCount
      rootObjectCount
      fileSize
      url
      partialDataUrl
    }
  }
`;

export const BULK_CANCEL = `#graphql
  mutation BulkCancel($id: ID!) {
    bulkOperationCancel(id: $id) {
      bulkOperation {
        id
        status
      }
      userErrors {
        field
        message
      }
    }
  }
`;

/** Bulk mutations: stage the JSONL of variables, then run the mutation once per line. */
export const STAGED_UPLOADS_CREATE = `#graphql
  mutation BulkStagedUpload($input: [StagedUploadInput!]!) {
    stagedUploadsCreate(input: $input) {
      stagedTargets {
        url
        resourceUrl
        parameters {
          name
          value
        }
      }
      userErrors {
        field
        message
      }
    }
  }
`;

export const BULK_RUN_MUTATION = `#graphql
  mutation BulkRunMutation($mutation: String!, $stagedUploadPath: String!, $clientIdentifier: String) {
    bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $stagedUploadPath, clientIdentifier: $clientIdentifier) {
      bulkOperation {
        id
        status
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;

/**
 * The query text of a sync bulk query (orders.ts, customers.ts) for bulkOperationRunQuery, with an
 * optional search filter in place of `"__FILTER__"`.
 */
export function bulkQueryText(doc: string, filter: string | null): string {
  const text = doc.replace(/^#graphql\s*/, "").trim();
  return filter ? text.replace('"__FILTER__"', JSON.stringify(filter)) : text.replace('(query: "__FILTER__")', "");
}
