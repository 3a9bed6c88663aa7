"""The staff API (`/staff/graphql`): its own schema, context, permissions and operations."""
