// Publicizer SOURCE DESTINATION
//
// Copies a .NET assembly and flips the accessibility bits in its metadata tables so that every type, method and field is
// public. The copy is a compile-time reference only: the program still runs on the original assembly, where the runtime
// lets us through because our assembly declares [IgnoresAccessChecksTo] for it. Nothing else in the file changes (no
// re-signing, no IL rewrite): the flags columns are patched in place at the offsets System.Reflection.Metadata reports.
using System.Buffers.Binary;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Publicizer SOURCE DESTINATION");
    return 2;
}
var bytes = File.ReadAllBytes(args[0]);
using (var pe = new PEReader(new MemoryStream(bytes)))
{
    var md = pe.GetMetadataReader();
    int start = pe.PEHeaders.MetadataStartOffset;

    // TypeDef rows start with a 4-byte Flags column; visibility is its low 3 bits.
    Patch(TableIndex.TypeDef, 0, 4, md.TypeDefinitions.Count, (row, flags) =>
    {
        var type = md.GetTypeDefinition(MetadataTokens.TypeDefinitionHandle(row + 1));
        var visibility = type.GetDeclaringType().IsNil ? TypeAttributes.Public : TypeAttributes.NestedPublic;
        return (flags & ~(uint)TypeAttributes.VisibilityMask) | (uint)visibility;
    });
    // MethodDef rows: RVA (4 bytes), ImplFlags (2), Flags (2); access is the low 3 bits of Flags.
    Patch(TableIndex.MethodDef, 6, 2, md.MethodDefinitions.Count, (_, flags) =>
        (flags & ~(uint)MethodAttributes.MemberAccessMask) | (uint)MethodAttributes.Public);
    // Field rows start with a 2-byte Flags column. A field-like event's backing field shares the event's name: keep
    // those private, or the compiler sees two public members with one name.
    var eventNames = md.EventDefinitions.Select(e => md.GetString(md.GetEventDefinition(e).Name)).ToHashSet();
    Patch(TableIndex.Field, 0, 2, md.FieldDefinitions.Count, (row, flags) =>
    {
        var name = md.GetString(md.GetFieldDefinition(MetadataTokens.FieldDefinitionHandle(row + 1)).Name);
        return eventNames.Contains(name) ? flags : (flags & ~(uint)FieldAttributes.FieldAccessMask) | (uint)FieldAttributes.Public;
    });

    void Patch(TableIndex table, int column, int width, int rows, Func<int, uint, uint> change)
    {
        int offset = start + md.GetTableMetadataOffset(table), size = md.GetTableRowSize(table);
        for (int row = 0; row < rows; row++)
        {
            var span = bytes.AsSpan(offset + row * size + column, width);
            uint flags = width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(span) : BinaryPrimitives.ReadUInt16LittleEndian(span);
            uint patched = change(row, flags);
            if (width == 4) BinaryPrimitives.WriteUInt32LittleEndian(span, patched);
            else BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)patched);
        }
    }
}
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[1]))!);
var tmp = args[1] + ".tmp";
File.WriteAllBytes(tmp, bytes);
File.Move(tmp, args[1], overwrite: true);
return 0;
